"""Errors a user can fix. The CLI prints their message as one sentence and exits non-zero;
anything else is a bug and keeps its traceback."""


class UserError(Exception):
    """Something the person running the pipeline can fix: the message says what and how."""


class FileRejected(Exception):
    """A whole input file cannot be used; the reason is written for HR (Norwegian)."""

    def __init__(self, reason: str, column: str | None = None, rule: str = "file_rejected"):
        super().__init__(reason)
        self.reason = reason
        self.column = column
        self.rule = rule
