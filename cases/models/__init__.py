from .documents import Authorisation, Document
from .evidence import Asset, IncomeLine, IncomeType
from .imports import HouseholdImport
from .registry import Household, Membership, Person
from .schemes import AddOn, IncomeTypeRule, Scheme, SchemeRule, Standard
from .staff import Role, StaffProfile
from .towns import Town, Village

__all__ = [
    "AddOn",
    "Asset",
    "Authorisation",
    "Document",
    "Household",
    "HouseholdImport",
    "IncomeLine",
    "IncomeType",
    "IncomeTypeRule",
    "Membership",
    "Person",
    "Role",
    "Scheme",
    "SchemeRule",
    "StaffProfile",
    "Standard",
    "Town",
    "Village",
]
