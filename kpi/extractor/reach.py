"""How far the stages look around a quantity for its cue words and years. Every look is bounded, so
the work per quantity is constant and extraction stays linear in the text, however long a sentence
or paragraph a crawler delivers (real cues stand well within these reaches)."""

SENTENCE_BEFORE = 200  # characters of the sentence before a quantity (cues, years, its clause)
CLAUSE_AFTER = 100  # characters of the clause after a quantity (a cue right after it)
PARAGRAPH_BEFORE = 300  # characters of the paragraph before the quantity's sentence (topic years, cues)
TOPIC_WINDOW = 60  # characters at a sentence's start searched for its topic year
NAME_BEFORE = 40  # characters before a number searched for a Latin name glued to it (PM2.5)
