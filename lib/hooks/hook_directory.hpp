#pragma once
// The renewal-hooks/{pre,deploy,post}/ directories as certbot reads them, and
// the rule that decides whether a hook command and a directory hook are the
// same program (then it runs once).

#include <filesystem>
#include <string_view>
#include <vector>

namespace certsmith::hooks {

/// The executables in dir (regular files or symlinks to them, with execute
/// permission for us), as absolute paths in byte order; names ending in '~'
/// and non-executables are skipped (logged at debug). A missing dir yields
/// none; any other listing error throws StorageError.
std::vector<std::filesystem::path> list_directory_hooks(const std::filesystem::path& dir);

/// True when command is the path of file itself: the same string, or a single
/// word without shell syntax that names the same file (e.g. `--pre-hook
/// /etc/letsencrypt/renewal-hooks/pre/stop-nginx`).
bool command_names_file(std::string_view command, const std::filesystem::path& file);

} // namespace certsmith::hooks
