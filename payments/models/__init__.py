"""Money leaving Relief (DOMAIN.md §9, DESIGN.md "A month's close"): accounts.py (payee
accounts), runs.py (payment rules, runs, batches and their lines), bankfiles.py (layouts, bank
files and returns), corrections.py (reassessments, recoveries, back-pay, fine decisions)."""

from .accounts import PayeeAccount, account_number_validator, masked_account
from .bankfiles import BankFile, BankFileLayout, BankReturn
from .corrections import (
    BackPay,
    Correction,
    FineDecision,
    Reassessment,
    ReassessmentMonth,
    Recovery,
    RecoveryRepayment,
)
from .runs import Batch, PaymentLine, PaymentRule, PaymentRun, PaymentRunTown

__all__ = [
    "BackPay",
    "BankFile",
    "BankFileLayout",
    "BankReturn",
    "Batch",
    "Correction",
    "FineDecision",
    "PayeeAccount",
    "PaymentLine",
    "PaymentRule",
    "PaymentRun",
    "PaymentRunTown",
    "Reassessment",
    "ReassessmentMonth",
    "Recovery",
    "RecoveryRepayment",
    "account_number_validator",
    "masked_account",
]
