"""The input texts of the reference vectors (read by make_vectors.py).

Chosen to hit every branch of BERT's BasicTokenizer and WordPiece (Devlin et
al. 2019; transformers' tokenization_bert.py): NFC normalisation, lower-casing
and accent stripping (NFD + drop Mn), CJK ideograph splitting, Unicode
punctuation classes, control and format characters, whitespace classes, the
100-character word limit, [UNK] for unknown words, and the special-token and
truncation logic for pairs.
"""

LONG_WORD_100 = "a" * 100                     # the longest word WordPiece still splits
LONG_WORD_101 = "b" * 101                     # one more character: the whole word is [UNK]
LONG_WORD_135 = "pneumonoultramicroscopicsilicovolcanoconiosis" * 3

SINGLE_TEXTS = [
    # plain English and case
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Recommender systems learn from implicit feedback such as clicks, views and purchases.",
    "MiXeD CaSe TeXt With UPPERCASE and lowercase Words",
    "UPPER CASE ONLY SENTENCE",
    "I can't believe it's not butter; they're here, aren't they? y'all shouldn't've",
    "C++ and C# and F# are languages; Node.js and ASP.NET are frameworks.",
    # accented Latin
    "café naïve Ångström façade Zürich",
    "Dvořák played in São Paulo, and Ægir admired the œuvre; Straße has ß.",
    "Crème brûlée à la française, s'il vous plaît.",
    "Ümlaut Öl Äpfel über ÜBER",
    "Nordic: Øresund, Åland, Færøerne, Þórshöfn, Ísland",
    "Polish: Zażółć gęślą jaźń",
    "Vietnamese: Tiếng Việt có dấu",
    "Turkish: İstanbul, ılık, IĞDIR",
    "decomposed e\u0301 and n\u0303 vs composed é and ñ",
    # other scripts
    "Ελληνικά: Καλημέρα κόσμε! ΟΔΥΣΣΕΥΣ",
    "Русский текст: Привет, мир! Ёлка и йогурт.",
    "我喜欢看电影，特别是科幻片。",
    "推荐系统使用深度学习模型",
    "日本語のテキスト：東京タワーへ行きました。",
    "カタカナとひらがなと漢字、全角！？「かっこ」",
    "한국어 텍스트: 안녕하세요, 세계!",
    "영화 추천 시스템",
    "Mixed 中文 and English 和 日本語 with 한국어 inside",
    "Arabic: مرحبا بالعالم and Hebrew: שלום עולם",
    "Hindi: नमस्ते दुनिया",
    "Thai: สวัสดีชาวโลก",
    "ＦＵＬＬ－ＷＩＤＴＨ ｌｅｔｔｅｒｓ ａｎｄ １２３",
    "ﬁ ligature, ﬂ, ½ fraction, x² superscript, Ω ohm sign, ǅ titlecase",
    "Math: ∀x ∈ ℝ, x² ≥ 0 ⇒ √(x²) = |x| ± ε",
    # emoji
    "I love this movie 😍🎬🍿",
    "Family: 👨‍👩‍👧‍👦 and 👩🏽‍💻 coding",
    "Flags: 🇺🇸 🇯🇵 🇩🇪 🏳️‍🌈",
    "👍🏻👍🏼👍🏽👍🏾👍🏿",
    "Emoji😀glued😀to😀words and ❤️ with variation selector",
    # punctuation-heavy
    "Wait... what?!?! No way!!!",
    "\"Quoted\" and 'single' and “curly” and ‘more’ and «guillemets» and „low“",
    "em—dash, en–dash, hyphen-minus, and ellipsis… ¿qué? ¡sí!",
    "(parentheses) [brackets] {braces} <angles> 【lenticular】",
    "$100 + 50% & *stars* @user #hashtag ^caret ~tilde `backtick` |pipe| \\backslash/ €20 £5 ¥300",
    "Visit https://www.example.com/path/to-page?query=1&lang=en#section for details.",
    "Contact me at john.doe+test@example.co.uk or jane_doe@mail.org.",
    "1,234,567.89 and 3.14159 and 10,000 and 1e-5 and 2024-01-15 and 12:30",
    "Phone: +1 (555) 123-4567, ZIP 90210, 4.5/5 stars, #1 hit",
    # control, format and whitespace characters
    "tab\tseparated\tvalues",
    "carriage\rreturn and new\nline and both\r\n",
    "null\u0000char and replacement\ufffdchar",
    "zero\u200bwidth\u200bspace and zero\u200dwidth joiner",
    "soft\u00adhyphen in hy\u00adphen\u00adation",
    "combining \u0301 mark alone and \u0301\u0308 standalone marks",
    "non\u00a0breaking\u00a0space and Ｉ\u3000ideographic space",
    "line\u2028separator and paragraph\u2029separator",
    "next\u0085line and bell\u0007char and escape\u001bchar",
    "private use \ue000 char and byte order mark \ufeff here",
    # special tokens written in the text are kept whole, case-sensitively
    "literal [MASK] and [SEP] tokens inside text",
    "lowercase [mask] and mixed [Sep] and glued [UNK]x",
    # the word-length limit
    "short " + LONG_WORD_100 + " words",
    "short " + LONG_WORD_101 + " words",
    "very long word " + LONG_WORD_135 + " ends here",
    # empty and whitespace only
    "",
    "   ",
    " \t\n\r ",
    # MovieLens-style titles
    "Toy Story (1995) | Animation|Children's|Comedy",
    "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
    "Shawshank Redemption, The (1994)",
    "Star Wars: Episode IV - A New Hope (1977) | Action|Adventure|Sci-Fi",
    "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
    "Crouching Tiger, Hidden Dragon (Wo hu cang long) (2000)",
    "Spirited Away (Sen to Chihiro no kamikakushi) (2001) | Adventure|Animation|Fantasy",
    "Léon: The Professional (a.k.a. The Professional) (Léon) (1994)",
]

PAIRS = [
    ("What is your favourite film?", "Toy Story (1995) | Animation|Children's|Comedy"),
    ("User liked: Star Wars (1977)", "Candidate: Return of the Jedi (1983)"),
    ("café naïve", "Zürich Ångström"),
    ("日本語の映画", "Japanese movie"),
    ("", "empty first text"),
    ("empty second text", ""),
    ("😀 emoji", "🇫🇷 flag 👩🏽‍💻"),
    ("한국어 영화", "Korean film"),
    ("A much longer first sentence with many words, so that it is clearly the longer of the two.", "short"),
    ("short", "A much longer second sentence with many words, so that it is clearly the longer of the two."),
    ("Punctuation!!! (really)", "???... --- ;;;"),
    ("tab\tand\nnewline", "zero\u200bwidth and null\u0000"),
]

TRUNCATED = [  # (text, text_b or None, max_length); longest_first truncation, no padding
    ("The quick brown fox jumps over the lazy dog.", None, 5),
    ("Recommender systems learn from implicit feedback such as clicks.", None, 8),
    ("City of Lost Children, The (Cité des enfants perdus, La) (1995)", None, 16),
    ("我喜欢看电影，特别是科幻片。", None, 8),
    ("I love this movie 😍🎬🍿 so much!!!", None, 16),
    ("What is your favourite film of all time?", "Toy Story (1995) | Animation|Children's|Comedy", 16),
    ("short", "A much longer second sentence with many words to cut.", 8),
    ("A much longer first sentence with many words to cut.", "short", 8),
    ("two words", "two more", 5),
    ("equal length one two three four", "equal length five six seven eight", 12),
    ("café naïve Ångström", "日本語のテキスト", 16),
]

BATCH_TEXTS = [
    "Hi!",
    "Toy Story (1995) | Animation|Children's|Comedy",
    "café naïve Ångström façade Zürich",
    "我喜欢看电影",
    "Recommender systems learn from implicit feedback such as clicks, views, ratings and purchases over time.",
    "😀 ok",
]
BATCH_MAX_LENGTH = 16

# Inputs of the random checkpoints, tokenised with the tiny cased vocabulary.
CHECKPOINT_PAIRS = [
    ("The user watched Toy Story", "and then rated Aladdin"),
    ("A space opera", "Star Wars"),
    ("café", "Zürich"),
    ("Heat (1995)", "Crime|Thriller"),
    ("Recommender systems learn from feedback", "clicks, views and purchases over time"),
]

CHECKPOINT_SINGLES = [
    "The user watched Toy Story and then rated Aladdin",
    "A space opera",
    "Recommender systems learn from implicit feedback",
    "café in Zürich",
]

# One sentence per line in minilm_sentences.txt: no empty ones, no line breaks,
# no leading or trailing whitespace.
MINILM_SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "Two men pushed carts through the woods.",
    "Recommender systems learn from implicit feedback such as clicks and purchases.",
    "MiXeD CaSe TeXt With UPPERCASE Words",
    "café naïve Ångström façade Zürich",
    "Dvořák played in São Paulo, and Ægir admired the œuvre; Straße has ß.",
    "Crème brûlée à la française, s'il vous plaît.",
    "Ελληνικά: Καλημέρα κόσμε!",
    "Русский текст: Привет, мир!",
    "我喜欢看电影，特别是科幻片。",
    "日本語のテキスト：東京タワーへ行きました。",
    "한국어 텍스트: 안녕하세요, 세계!",
    "Mixed 中文 and English 和 日本語",
    "I love this movie 😍🎬🍿",
    "Family: 👨‍👩‍👧‍👦 and 👩🏽‍💻 coding, flags 🇺🇸 🇯🇵",
    "Wait... what?!?! No way!!!",
    "\"Quoted\" and “curly” and «guillemets» — with em-dashes – and en-dashes.",
    "$100 + 50% & *stars* @user #hashtag [brackets] {braces}",
    "Visit https://www.example.com/path?query=1&lang=en or mail john.doe@example.co.uk",
    "1,234,567.89 and 3.14159 and 2024-01-15",
    "tab\tseparated\tvalues with zero\u200bwidth and soft\u00adhyphen",
    "short " + LONG_WORD_101 + " words",
    "Toy Story (1995) | Animation|Children's|Comedy",
    "City of Lost Children, The (Cité des enfants perdus, La) (1995)",
    "Shawshank Redemption, The (1994)",
    "Star Wars: Episode IV - A New Hope (1977)",
    "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)",
    "Crouching Tiger, Hidden Dragon (Wo hu cang long) (2000)",
    "Spirited Away (Sen to Chihiro no kamikakushi) (2001) | Adventure|Animation|Fantasy",
    "Heat (1995) | Action|Crime|Thriller",
    "A",
    "?",
    "The movie was okay, but the soundtrack was absolutely fantastic.",
    "What should I watch tonight if I liked Inception and Interstellar?",
    "Users who rated this film highly also enjoyed similar science fiction titles.",
    # longer than 128 word pieces, so max_length 128 truncates it
    " ".join(["Recommender systems combine collaborative filtering, content features and "
              "pretrained language models to rank items for each user;"] * 8),
    "The end.",
]
