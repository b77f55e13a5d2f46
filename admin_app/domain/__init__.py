"""Rules that know no HTTP: registration and transitions (and the words of each action), clients,
accounts, scoping, validation, search, totals, figures, errors with codes. Views, the CLI and
(later) the API call them.
"""
