from .applications import Application, ApplicationEvent, Notification, PublicNotice
from .clocks import Breach, Clock, Extension, Pause
from .documents import Authorisation, Document
from .evidence import Asset, IncomeLine, IncomeType
from .grants import (
    Grant,
    GrantSuspension,
    ScheduleConfirmation,
    ScheduleConfirmationTown,
    ScheduleEntry,
)
from .imports import HouseholdImport
from .registry import Household, Membership, Person
from .schemes import AddOn, IncomeTypeRule, Scheme, SchemeRule, Standard
from .staff import Role, StaffProfile
from .towns import Town, Village

__all__ = [
    "AddOn",
    "Application",
    "ApplicationEvent",
    "Asset",
    "Authorisation",
    "Breach",
    "Clock",
    "Document",
    "Extension",
    "Grant",
    "GrantSuspension",
    "Household",
    "HouseholdImport",
    "IncomeLine",
    "IncomeType",
    "IncomeTypeRule",
    "Membership",
    "Notification",
    "Pause",
    "Person",
    "PublicNotice",
    "Role",
    "Scheme",
    "ScheduleConfirmation",
    "ScheduleConfirmationTown",
    "ScheduleEntry",
    "SchemeRule",
    "StaffProfile",
    "Standard",
    "Town",
    "Village",
]
