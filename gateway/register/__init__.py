"""The agreement register: contract files, the agreements they hold, their field policies and
lifecycle, and the schools and suppliers they name."""
