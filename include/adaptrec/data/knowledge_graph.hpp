#pragma once
// A knowledge graph: named entities and relations with dense ids, and a set of
// (head, relation, tail) triples over them. Triples files are TSV, one
// `head<TAB>relation<TAB>tail` per line by name (the layout of the FB15k and
// WN18 releases of Bordes et al., NeurIPS 2013); blank lines and lines that
// begin with '#' are skipped, CRLF line ends are accepted.
//
// movielens_item_graph builds the item graph of a MovieLens release so that
// knowledge-graph embeddings (encoders/transe.hpp) can serve as item vectors:
// entity i is item i.
#include <adaptrec/core/error.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/core/tensor.hpp>
#include <adaptrec/data/movielens_dataset.hpp>
#include <adaptrec/data/shuffle.hpp>
#include <adaptrec/data/text_parsing.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace adaptrec::data {

struct Triple {
  index_t head;
  index_t relation;
  index_t tail;
  friend bool operator==(const Triple&, const Triple&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Triple& t) {
    return os << '(' << t.head << ", " << t.relation << ", " << t.tail << ')';
  }
};

struct TripleHash {
  std::size_t operator()(const Triple& t) const noexcept {
    // splitmix64's finaliser over the three ids: cheap and well mixed.
    auto mix = [](std::uint64_t x) {
      x += 0x9E3779B97F4A7C15ull;
      x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
      x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
      return x ^ (x >> 31);
    };
    const auto h = mix(static_cast<std::uint64_t>(t.head));
    const auto r = mix(h ^ static_cast<std::uint64_t>(t.relation));
    return static_cast<std::size_t>(mix(r ^ static_cast<std::uint64_t>(t.tail)));
  }
};

// Lets the name maps look up a string_view without building a std::string.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// Names to dense ids 0, 1, ... in order of first registration, and back.
class NameVocabulary {
 public:
  explicit NameVocabulary(const char* what) : what_(what) {}

  // The id of `name`, registering it when new. A name must be non-empty and
  // valid UTF-8, and hold no tab, CR or LF and no leading '#', so that every
  // graph can be written as a triples file and read back unchanged.
  index_t add(std::string_view name) {
    if (const index_t id = find(name); id >= 0) return id;
    require_valid(name);
    const auto id = static_cast<index_t>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    return id;
  }

  // -1 when `name` is unknown.
  index_t find(std::string_view name) const {
    const auto it = ids_.find(name);
    return it == ids_.end() ? -1 : it->second;
  }

  index_t id(std::string_view name) const {
    const index_t found = find(name);
    if (found < 0)
      throw index_error(std::string("adaptrec::data::KnowledgeGraph: unknown ") + what_ + " " +
                        detail::quoted(name));
    return found;
  }

  const std::string& name(index_t id) const {
    if (id < 0 || id >= size())
      throw index_error(std::string("adaptrec::data::KnowledgeGraph: ") + what_ + " id " +
                        std::to_string(id) + " is outside [0, " + std::to_string(size()) + ")");
    return names_[static_cast<std::size_t>(id)];
  }

  index_t size() const { return static_cast<index_t>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }

 private:
  void require_valid(std::string_view name) const {
    const std::string where = std::string("adaptrec::data::KnowledgeGraph: ") + what_ + " name ";
    if (name.empty()) throw invalid_argument(where + "is empty");
    if (name.find_first_of("\t\r\n") != std::string_view::npos)
      throw invalid_argument(where + detail::quoted(name) + " holds a tab or line break");
    if (name.front() == '#')
      throw invalid_argument(where + detail::quoted(name) +
                             " begins with '#', which marks a comment in triples files");
    if (!detail::is_valid_utf8(name))
      throw invalid_argument(where + detail::quoted(name) + " is not valid UTF-8");
  }

  const char* what_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, index_t, NameHash, std::equal_to<>> ids_;
};

class KnowledgeGraph {
 public:
  index_t add_entity(std::string_view name) { return entities_.add(name); }
  index_t add_relation(std::string_view name) { return relations_.add(name); }

  // Adds (head, relation, tail) by name, registering new names; a triple
  // already present is not added twice. Returns the triple's ids.
  Triple add_triple(std::string_view head, std::string_view relation, std::string_view tail) {
    const Triple t{add_entity(head), add_relation(relation), add_entity(tail)};
    add_triple(t);
    return t;
  }

  // Adds a triple by id; false when it was already present.
  bool add_triple(const Triple& t) {
    require_ids(t, "add_triple");
    if (!known_.insert(t).second) return false;
    triples_.push_back(t);
    return true;
  }

  bool contains(const Triple& t) const { return known_.count(t) != 0; }

  // A graph with the same vocabularies (so the same ids) and only `triples`.
  KnowledgeGraph with_triples(std::span<const Triple> triples) const {
    KnowledgeGraph g;
    g.entities_ = entities_;
    g.relations_ = relations_;
    for (const Triple& t : triples) g.add_triple(t);
    return g;
  }

  // Throws index_error naming `where` and the triple unless its ids exist.
  void require_ids(const Triple& t, const char* where) const {
    if (t.head < 0 || t.head >= num_entities() || t.tail < 0 || t.tail >= num_entities() ||
        t.relation < 0 || t.relation >= num_relations())
      throw index_error(std::string("adaptrec::data::KnowledgeGraph::") + where + ": triple (" +
                        std::to_string(t.head) + ", " + std::to_string(t.relation) + ", " +
                        std::to_string(t.tail) + ") is outside the graph's " +
                        std::to_string(num_entities()) + " entities and " +
                        std::to_string(num_relations()) + " relations");
  }

  const NameVocabulary& entities() const { return entities_; }
  const NameVocabulary& relations() const { return relations_; }
  const std::vector<Triple>& triples() const { return triples_; }
  index_t num_entities() const { return entities_.size(); }
  index_t num_relations() const { return relations_.size(); }
  index_t num_triples() const { return static_cast<index_t>(triples_.size()); }

 private:
  NameVocabulary entities_{"entity"};
  NameVocabulary relations_{"relation"};
  std::vector<Triple> triples_;
  std::unordered_set<Triple, TripleHash> known_;
};

// Triples as a [n, 3] id tensor (head, relation, tail columns), the layout
// encoders::TransE scores.
inline Tensor<index_t> triples_tensor(std::span<const Triple> triples) {
  Tensor<index_t> out(Shape{static_cast<index_t>(triples.size()), 3});
  for (std::size_t i = 0; i < triples.size(); ++i) {
    out[static_cast<index_t>(3 * i)] = triples[i].head;
    out[static_cast<index_t>(3 * i + 1)] = triples[i].relation;
    out[static_cast<index_t>(3 * i + 2)] = triples[i].tail;
  }
  return out;
}

namespace detail {

// Parses triples text (see the top of this file), registering names in
// `graph`; returns the triples in file order. `source` names the text in errors.
inline std::vector<Triple> parse_triples(std::string_view text, const std::filesystem::path& source,
                                         KnowledgeGraph& graph) {
  std::vector<Triple> out;
  LineReader lines(text);
  std::vector<std::string_view> fields;
  std::string_view line;
  static constexpr const char* field_names[] = {"head", "relation", "tail"};
  while (lines.next(line)) {
    if (line.front() == '#') continue;
    const std::size_t at = lines.line_number();
    if (!is_valid_utf8(line)) throw parse_error(source, at, "the line is not valid UTF-8");
    split_fields(line, "\t", fields);
    if (fields.size() != 3)
      throw parse_error(source, at,
                        "expected 3 tab-separated fields (head, relation, tail), got " +
                            std::to_string(fields.size()));
    for (std::size_t f = 0; f < 3; ++f)
      if (fields[f].empty())
        throw parse_error(source, at, std::string("empty ") + field_names[f] + " name");
    try {
      const Triple t{graph.add_entity(fields[0]), graph.add_relation(fields[1]),
                     graph.add_entity(fields[2])};
      out.push_back(t);
    } catch (const invalid_argument& e) {
      throw parse_error(source, at, e.what());
    }
  }
  return out;
}

}  // namespace detail

// Reads a triples file, registering unseen names in `graph`'s vocabularies,
// and returns its triples in file order WITHOUT adding them to `graph`'s
// triple set: the form for validation and test files, whose ids must agree
// with the training graph's. Errors name the file and line.
inline std::vector<Triple> read_triple_list(const std::filesystem::path& path,
                                            KnowledgeGraph& graph) {
  return detail::parse_triples(detail::read_whole_file(path), path, graph);
}

// Reads a triples file into a new graph.
inline KnowledgeGraph read_triples(const std::filesystem::path& path) {
  KnowledgeGraph graph;
  for (const Triple& t : read_triple_list(path, graph)) graph.add_triple(t);
  return graph;
}

// Writes `triples` (default: all of the graph's) by name, one per line.
inline void write_triples(const KnowledgeGraph& graph, const std::filesystem::path& path,
                          std::span<const Triple> triples) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw io_error("adaptrec::data::write_triples: cannot open " + path.string());
  for (const Triple& t : triples) {
    graph.require_ids(t, "write_triples");
    out << graph.entities().name(t.head) << '\t' << graph.relations().name(t.relation) << '\t'
        << graph.entities().name(t.tail) << '\n';
  }
  out.flush();
  if (!out) throw io_error("adaptrec::data::write_triples: error while writing " + path.string());
}

inline void write_triples(const KnowledgeGraph& graph, const std::filesystem::path& path) {
  write_triples(graph, path, graph.triples());
}

// A random hold-out of triples, e.g. to measure link prediction. Only triples
// of `relation` are held out when it is >= 0; `train` keeps the graph's ids.
struct KnowledgeGraphSplit {
  KnowledgeGraph train;
  std::vector<Triple> test;
};

inline KnowledgeGraphSplit split_triples(const KnowledgeGraph& graph, double test_fraction,
                                         Rng& rng, index_t relation = -1) {
  if (!(test_fraction >= 0 && test_fraction <= 1))
    throw invalid_argument("adaptrec::data::split_triples: test_fraction must lie in [0, 1], got " +
                           std::to_string(test_fraction));
  if (relation >= graph.num_relations())
    throw index_error("adaptrec::data::split_triples: relation " + std::to_string(relation) +
                      " is outside [0, " + std::to_string(graph.num_relations()) + ")");
  std::vector<std::size_t> order(graph.triples().size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  shuffle_in_place(order, rng);
  std::vector<Triple> eligible, train;
  for (std::size_t i : order) {
    const Triple& t = graph.triples()[i];
    (relation < 0 || t.relation == relation ? eligible : train).push_back(t);
  }
  const auto held = static_cast<std::size_t>(test_fraction * static_cast<double>(eligible.size()));
  KnowledgeGraphSplit split;
  split.test.assign(eligible.begin(), eligible.begin() + static_cast<std::ptrdiff_t>(held));
  train.insert(train.end(), eligible.begin() + static_cast<std::ptrdiff_t>(held), eligible.end());
  split.train = graph.with_triples(train);
  return split;
}

// The item graph of a MovieLens release: entity i is item i (named
// "item:<i>"), then one entity per genre ("genre:<name>", the release's
// "unknown" genre flag left out: it states no fact) and per release decade
// ("decade:1990", ascending); relations `has_genre` and `released_in_decade`.
// Items of unknown year get no decade.
inline KnowledgeGraph movielens_item_graph(const MovieLens& ml) {
  KnowledgeGraph graph;
  for (std::int32_t i = 0; i < ml.num_items(); ++i) graph.add_entity("item:" + std::to_string(i));
  std::vector<index_t> genre_entity(ml.genre_names.size(), -1);
  for (std::size_t g = 0; g < ml.genre_names.size(); ++g)
    if (ml.genre_names[g] != "unknown")
      genre_entity[g] = graph.add_entity("genre:" + ml.genre_names[g]);
  std::vector<std::int32_t> decades;
  for (const Movie& m : ml.movies)
    if (m.year > 0) decades.push_back(m.year / 10 * 10);
  std::sort(decades.begin(), decades.end());
  for (std::int32_t d : decades) graph.add_entity("decade:" + std::to_string(d));

  const index_t has_genre = graph.add_relation("has_genre");
  const index_t released_in_decade = graph.add_relation("released_in_decade");
  for (std::int32_t i = 0; i < ml.num_items(); ++i) {
    const Movie& m = ml.movies[static_cast<std::size_t>(i)];
    for (std::int32_t g : m.genres) {
      if (g < 0 || static_cast<std::size_t>(g) >= genre_entity.size())
        throw index_error("adaptrec::data::movielens_item_graph: item " + std::to_string(i) +
                          " has genre index " + std::to_string(g) + " outside [0, " +
                          std::to_string(genre_entity.size()) + ")");
      if (genre_entity[static_cast<std::size_t>(g)] >= 0)
        graph.add_triple({i, has_genre, genre_entity[static_cast<std::size_t>(g)]});
    }
    if (m.year > 0)
      graph.add_triple({i, released_in_decade,
                        graph.entities().id("decade:" + std::to_string(m.year / 10 * 10))});
  }
  return graph;
}

}  // namespace adaptrec::data
