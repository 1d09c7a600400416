"""Batch's retry decision after a failed attempt (retryStrategy.evaluateOnExit).

The rules are tried in order; a rule matches when every condition it gives matches: onStatusReason
against the attempt's statusReason, onReason against the container's reason, onExitCode against
the exit code as a decimal string. A pattern is exact, or ends with `*` and then matches any value
that starts with what precedes the `*` (Batch allows `*` only at the end). A condition given
against a value the attempt does not have (no exit code after a lost host, no container reason)
does not match. The first matching rule's action (RETRY or EXIT, any case) decides; when no rule
matches, the job is retried (Batch's documented default). Whether an attempt is left at all is the
caller's business (attempts), as is that timeouts and terminations are never retried."""


def pattern_matches(pattern, value):
    if value is None:
        return False
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def rule_matches(rule, status_reason, reason, exit_code):
    code = None if exit_code is None else str(exit_code)
    for key, value in (("onStatusReason", status_reason), ("onReason", reason), ("onExitCode", code)):
        pattern = rule.get(key)
        if pattern is not None and not pattern_matches(pattern, value):
            return False
    return True


def decide(rules, status_reason, reason, exit_code):
    """"RETRY" or "EXIT" for a failed attempt, and the index of the rule that decided (or None)."""
    for i, rule in enumerate(rules or []):
        if rule_matches(rule, status_reason, reason, exit_code):
            return str(rule.get("action", "RETRY")).upper(), i
    return "RETRY", None


def validate(strategy):
    """An error message for a malformed retryStrategy, or None."""
    if not strategy:
        return None
    attempts = strategy.get("attempts")
    if attempts is not None and (not isinstance(attempts, int) or not 1 <= attempts <= 10):
        return "Retry strategy attempts must be between 1 and 10, got %r" % (attempts,)
    rules = strategy.get("evaluateOnExit") or []
    if len(rules) > 5:
        return "Retry strategy evaluateOnExit can have at most 5 conditions"
    for rule in rules:
        if str(rule.get("action", "")).upper() not in ("RETRY", "EXIT"):
            return "evaluateOnExit action must be RETRY or EXIT, got %r" % (rule.get("action"),)
        for key in ("onStatusReason", "onReason", "onExitCode"):
            p = rule.get(key)
            if p is not None and "*" in p[:-1]:
                return "evaluateOnExit %s may contain * only at the end: %r" % (key, p)
    return None
