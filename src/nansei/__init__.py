"""nansei: analytic wargaming of Japan's southwestern-islands defence posture.

Data flows one way: catalog -> scenario -> models -> results -> report/web.
"""

__version__ = "0.1.0"
