"""nansei: analytic wargaming of Japan's southwestern-islands defence posture.

Data flows one way: catalog -> scenario -> setup -> models -> results -> outputs
(docs/architecture.md).
"""

__version__ = "0.1.0"
