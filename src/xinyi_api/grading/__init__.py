"""信用评价 grading: rules, indicators, explanations, and (re)computing stored grades."""
