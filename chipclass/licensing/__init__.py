"""Licences: per device x destination and date (enforced and written views), the AI
Diffusion framework (tiers, fleet accounting, 4E091) and the foundry presumption.
"""
