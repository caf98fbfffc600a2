"""The dispatch domain: plans and planning runs, the adapters from legs and shifts to the
planner's problem, the courier workflow, proofs, tracking, route sheets, the Celery task and
their blueprints. It uses the pure planner in ``louise.routing``; see docs/architecture.md.
"""
