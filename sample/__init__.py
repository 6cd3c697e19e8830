"""The sample municipality: realistic Agresso exports, NAV's diagnosis file and the plan's manual
measurements for demos, tests and benchmarks (`sickleave generate`). Outside the production
package on purpose: the night's fingerprint hashes pipeline/, and the sample is not production.
"""
