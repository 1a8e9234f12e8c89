"""Learners as a partner LMS manages them: provisioning by LMS id, study activity on their
behalf."""
