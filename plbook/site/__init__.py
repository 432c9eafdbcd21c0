"""The runbook site: a MkDocs plugin and the page templates it renders procedures with."""
