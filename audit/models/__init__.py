from .extracts import Extract, MatchRequest, RegistryRecord, Source
from .findings import CheckRun, CheckRunTown, Finding, MatchingRule
from .keys import PersonKey

__all__ = [
    "CheckRun",
    "CheckRunTown",
    "Extract",
    "Finding",
    "MatchRequest",
    "MatchingRule",
    "PersonKey",
    "RegistryRecord",
    "Source",
]
