"""The registry's REST API (/api/v1/). Thin views in the HackSoft style: each endpoint validates
the shape of its input with a nested serializer, reads through cases.selectors (the one scoping
layer) and writes through cases.services (which check role, scope and business rules)."""
