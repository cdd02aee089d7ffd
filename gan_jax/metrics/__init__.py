"""Evaluation metrics: pure maths in small modules (`toy`, ...) plus an evaluator."""
