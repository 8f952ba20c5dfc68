"""The demo cooperative: its data (demo_cooperative.json) and its past (history)."""
