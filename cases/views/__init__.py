"""Registry pages, one module per area: households (list, export, register, page, edit),
members (join, leave, edit, reveal an ID), evidence (income, assets, documents,
authorisations), history (the household timeline); imports (caseload files). Shared access
checks and error mapping live in common."""
