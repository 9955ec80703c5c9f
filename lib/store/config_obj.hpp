#pragma once
// The configobj dialect certbot writes its renewal confs in: `key = value`,
// [section], [[subsection]], # comments, quoted values and comma lists.
// Parsing then writing an untouched file gives back the same bytes: every
// line keeps its original text until its value is changed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certsmith::store {

/// One value: a string, or a comma list (`a, b`, `a,` for one element, `,` for none).
struct ConfigValue {
  bool is_list = false;
  std::vector<std::string> items; // exactly one item when !is_list
  bool operator==(const ConfigValue&) const = default;
};

class Section {
public:
  Section() = default;
  Section(std::string name, int depth) : m_name(std::move(name)), m_depth(depth) {}

  /// Section name ("" for the root); depth 0 for the root, 1 for [x], 2 for [[x]].
  const std::string& name() const { return m_name; }
  int depth() const { return m_depth; }

  /// Value of `key` in this section; a list is returned joined with ", ".
  /// nullopt when absent (or when `key` names a subsection).
  std::optional<std::string> get(std::string_view key) const;
  /// Items of `key`: a list as is, a non-empty string as one item, else none.
  std::vector<std::string> get_list(std::string_view key) const;
  /// The raw value (list or string) of `key`, nullopt when absent.
  std::optional<ConfigValue> value(std::string_view key) const;
  bool has(std::string_view key) const { return value(key).has_value(); }

  /// Set a string value; a new key goes after the last value of this section.
  /// A value equal to the current one leaves the line untouched.
  void set(std::string_view key, std::string value);
  /// Set a list value (written `a, b`, `a,` or `,` like configobj).
  void set_list(std::string_view key, std::vector<std::string> values);
  /// Remove a value or a subsection (with its leading comment lines). True if it existed.
  bool erase(std::string_view key);

  /// Subsection `name`, or nullptr. Pointers are invalidated by ensure_section on this section.
  Section* section(std::string_view name);
  const Section* section(std::string_view name) const;
  /// Subsection `name`, created empty at the end of this section when missing.
  Section& ensure_section(std::string_view name);

  /// Value keys in file order.
  std::vector<std::string> keys() const;
  /// Subsection names in file order.
  std::vector<std::string> sections() const;

  /// Replace the comment/blank lines written before value or subsection `key`
  /// (lines are written verbatim: give "# text" or ""). No-op when `key` is absent.
  void set_comment(std::string_view key, std::vector<std::string> lines);

private:
  friend class ConfigObj;
  friend class ConfigObjParser;

  struct Entry {
    std::string key;
    ConfigValue value;
    std::vector<std::string> leading; // comment and blank lines before the entry
    std::vector<std::string> raw;     // original lines; empty once the value changed
    std::string indent;               // original indentation
    std::string key_text;             // key as spelled (maybe quoted)
    std::string comment;              // inline comment with its leading blanks
  };

  Entry* find_entry(std::string_view key);
  const Entry* find_entry(std::string_view key) const;
  void assign(std::string_view key, ConfigValue value);
  void render(std::vector<std::string>& out, bool crlf) const;

  std::string m_name;
  int m_depth = 0;
  std::vector<std::string> m_leading; // lines before the [header]
  std::string m_header_raw;           // original header line; empty when created
  std::vector<Entry> m_entries;
  std::vector<Section> m_sections;
};

class ConfigObj {
public:
  /// An empty file (to_string() is "").
  ConfigObj() = default;

  /// Parse configobj text. `source_name` names the file in errors, which read
  /// "renewal/x.conf line 7: duplicate key 'cert'" (StorageError) for: a line
  /// that is neither comment, section nor `key = value`, unbalanced or too deep
  /// section brackets, duplicate keys or sections, bad quoting, NUL bytes.
  static ConfigObj parse(std::string_view text, std::string source_name);

  /// The file text: untouched lines byte for byte, changed or new ones
  /// rendered the way configobj writes them. Throws StorageError for a value
  /// that cannot be quoted (contains both ''' and """ or a newline in a list).
  std::string to_string() const;

  Section& root() { return m_root; }
  const Section& root() const { return m_root; }
  const std::string& source_name() const { return m_source; }

  /// Comment lines before the first entry (certbot: "# renew_before_expiry = 30 days").
  const std::vector<std::string>& initial_comment() const { return m_initial; }
  void set_initial_comment(std::vector<std::string> lines) { m_initial = std::move(lines); }

private:
  friend class ConfigObjParser;

  std::string m_source;
  std::string m_bom;
  bool m_crlf = false;
  bool m_final_newline = true;
  std::vector<std::string> m_initial;
  std::vector<std::string> m_final; // comment lines after the last entry
  Section m_root;
};

/// configobj's quoting of one value for writing: bare when safe, else "..",
/// '..', or triple quotes. Throws StorageError when it cannot be quoted.
std::string quote_config_value(std::string_view value, bool multiline);
/// configobj's rendering of a whole value (lists joined with ", ").
std::string render_config_value(const ConfigValue& value);

} // namespace certsmith::store
