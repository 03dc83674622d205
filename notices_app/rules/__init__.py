"""Pure domain rules (identifiers, calendar, counting, workflow, wording): standard library only."""
