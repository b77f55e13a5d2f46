"""The web's machinery: Flask-Security set-up and its two-factor steps, authentication attempts and
their throttling, server-side sessions, security headers, translations, the audit log, error
pages and the routes outside the panel.
"""
