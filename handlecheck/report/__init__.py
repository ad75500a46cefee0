"""Renderers: small pure functions from results to text. The CLI decides where text goes."""
