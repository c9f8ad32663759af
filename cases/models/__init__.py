from .documents import Authorisation, Document
from .evidence import Asset, IncomeLine, IncomeType
from .imports import HouseholdImport
from .registry import Household, Membership, Person
from .staff import Role, StaffProfile
from .towns import Town, Village

__all__ = [
    "Asset",
    "Authorisation",
    "Document",
    "Household",
    "HouseholdImport",
    "IncomeLine",
    "IncomeType",
    "Membership",
    "Person",
    "Role",
    "StaffProfile",
    "Town",
    "Village",
]
