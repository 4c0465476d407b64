"""Evaluation: statistics that characterise recordings and motions, and their comparison."""
