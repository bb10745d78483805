"""How far the stages look around a quantity for its cue words and years, and into a page for its
furniture, dateline and place: every window size of the extractor, in characters. Every look is
bounded, so the work per quantity is constant and extraction stays linear in the text, however long a
sentence or paragraph a crawler delivers (real cues stand well within these reaches)."""

SENTENCE_BEFORE = 200  # characters of the sentence before a quantity (cues, years, its clause)
CLAUSE_AFTER = 100  # characters of the clause after a quantity (a cue right after it)
PARAGRAPH_BEFORE = 300  # characters of the paragraph before the quantity's sentence (topic years, cues)
TOPIC_WINDOW = 60  # characters at a sentence's start searched for its topic year
NAME_BEFORE = 40  # characters before a number searched for a Latin name glued to it (PM2.5)

# Around a quantity, for the words that touch it
CUE_BEFORE = 12  # characters before a quantity searched for a word bearing on it directly (减少, 用时)
QUALIFIER_BEFORE = 6  # characters before a quantity searched for an example word (比如30%)
QUALIFIER_AFTER = 4  # characters after a quantity searched for a class word (26兆瓦级, 50万的城市)
MEMBER_AFTER = 16  # characters of a count's clause searched for the word of a set's member (…之一)
PERSON_BEFORE = 10  # characters before a unitless 万/亿 number searched for a noun for people
PERSON_AFTER = 6  # characters after it searched for the same (减少1000万人口)
SHARED_BEFORE = (
    24  # characters before a quantity searched for bare numbers sharing its unit (4.2和0.7个百分点)
)
FALLBACK_BEFORE = 20  # characters before a number whose last words name its indicator when nothing else does
FALLBACK_AFTER = 8  # characters after it taken when no word stands before it either
BASELINE_BEFORE = 12  # characters before a year searched for a baseline word (比2018年, 较“十三五”)
BASELINE_LIST = 40  # characters a list of base values may span (从771家、481家增加到…)
TOPIC_YEAR_REACH = 12  # a year this close to the sentence's start is its topic (2024年，全省…)

# Ranks: `find_ranks` searches around an anchor (第, 首位, 3位) only
RANK_BEFORE = 12  # the longest verb + scope before an anchor
RANK_AFTER = 6  # characters after an anchor a rank may still take (its number and place counter)

# Blocked names (reject): looked for only near the numbers
BLOCK_BEFORE = 24  # a blocked name starts at most this far before its number …
TITLE_BEFORE = 64  # … except a 《title》, which is looked for further back
BLOCK_AFTER = 16  # characters after a number a blocked name may still run on (5G基站, 2021年1月)
BLOCKED_LOOKBACK = 200  # blocked spans starting this much before a number are not looked through

# The document: how far into a page or line its furniture and places are looked for
LIST_HEADING_MAX = 20  # characters of a line that can be a heading opening a navigation list (相关链接)
DATELINE_LINE_MAX = 200  # characters of a line that can be a dateline (longer is a paragraph of the article)
DATELINE_REACH = 3000  # a dateline further into the page dates a later part, not the document
REGION_NAME_BEFORE = 24  # the longest name, session number included, before an institution word
SPECIAL_REGION_HEAD = 20000  # characters at a page's start counted for the words of a special region
