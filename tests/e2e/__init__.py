"""Attack scenarios: each test tells the story of one attack and asserts the defence."""
