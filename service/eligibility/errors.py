"""The one exception hierarchy of the service; api/status.py maps it to gRPC codes."""

from __future__ import annotations


class EligibilityError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "INTERNAL"

    def __init__(self, message: str, *, field: str = "", row: int = 0) -> None:
        """Create an error naming, where known, the field and row at fault."""
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row


class InvalidInputError(EligibilityError):
    """Input that can never be valid (bad ID number, date, enum, missing column)."""

    code = "INVALID_ARGUMENT"


class NotFoundError(EligibilityError):
    """A round, decision, flag, rule or ruleset that does not exist."""

    code = "NOT_FOUND"


class PermissionDeniedError(EligibilityError):
    """The caller's role may not do this."""

    code = "PERMISSION_DENIED"


class UnauthenticatedError(EligibilityError):
    """The caller presented no valid credential."""

    code = "UNAUTHENTICATED"


class ConflictError(EligibilityError):
    """The request conflicts with what is on record."""

    code = "FAILED_PRECONDITION"


class AlreadyExistsError(EligibilityError):
    """Something of that name is already on record (a second round of one name, unless asked for)."""

    code = "ALREADY_EXISTS"


class RulesetError(EligibilityError):
    """A rule file that does not follow the rule format."""

    code = "FAILED_PRECONDITION"


class EngineError(EligibilityError):
    """The rule engine failed (an action raised, or the engine state is unusable)."""

    code = "INTERNAL"


class RecordError(EligibilityError):
    """A stored record that does not hold together (a decision naming a result the log does not have)."""

    code = "DATA_LOSS"
