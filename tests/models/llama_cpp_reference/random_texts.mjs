// Seeded random texts for tokenize.mjs: short strings built from the pieces
// where tokenizers disagree (contractions, whitespace runs of every kind,
// digits of many scripts, marks, emoji sequences, code points Unicode added
// lately or never assigned, special-token and byte-token look-alikes).

const atoms = [
  "a", "Z", "hello", "World", "x1", "_", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", " \n ",
  "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'LL", "'", "''", "n't", "O'Neil",
  "0", "7", "42", "2024", "3.14", "1,000", "٣٤٥", "௫", "Ⅻ", "²", "½", "१२", "１２",
  ".", ",", "!", "?", "...", "--", "()", "[]", "{}", "<>", "/", "\\", "\"", "#", "@", "$", "%", "&", "*",
  "é", "e\u0301", "ß", "İ", "ﬁ", "Ａ", "ǅ", "مرحبا", "ـ", "שָׁלוֹם", "中文", "日本", "한국어", "ไทย", "हिन्दी",
  "😀", "👍🏽", "🇫🇷", "❤️", "👨‍👩‍👧", "🏳️‍🌈", "\u200d", "\ufe0f", "\u200b", "\u00a0", "\u3000", "\u2028",
  "\u0085", "\u2003", "\u000b", "\u000c", "\u0001", "\u007f", "\u00ad",
  "\u{2EBF0}", "\u{2EE5D}", "\u{31350}", "\u{30000}", "\u0378", "\uffff", "\ue000", "\u{1F9FF}", "\u{1FAE8}",
  "Ġ", "Ċ", "▁", "▁▁", "<0x41>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<start_of_turn>",
  "<end_of_turn>", "<bos>", "<eos>", "<pad>", "<unk>", "<mask>", "<unused0>", "[multimodal]", "<b>", "</p>",
];

// mulberry32: a small seeded generator, the same on every machine.
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTexts(count, seed = 20261203) {
  const random = generator(seed);
  const texts = [];
  for (let i = 0; i < count; ++i) {
    const length = 1 + Math.floor(random() * 24);
    let text = "";
    for (let j = 0; j < length; ++j) text += atoms[Math.floor(random() * atoms.length)];
    texts.push(text);
  }
  return texts;
}
