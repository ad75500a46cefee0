"""The jobs, each one pass of the flow over the network edge: `hunt` (lookalike accounts),
`scan` (one brand, from its name to its to-do list), `bulk` (many brands over one session,
with history and policy) and `selfcheck` (the rules proved online). They return or yield
reports and write nothing but the history."""
