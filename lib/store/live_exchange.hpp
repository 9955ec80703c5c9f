#pragma once
// The one-step switch of a live directory (internal to store/).

#include <filesystem>

namespace certsmith::store {

enum class ExchangeResult { exchanged, renamed, unsupported };

/// Atomically swap directories `fresh` and `current` with renameat2(RENAME_EXCHANGE);
/// when `current` does not exist, `fresh` is renamed to it. Returns unsupported
/// (changing nothing) when the filesystem cannot exchange. Throws StorageError.
ExchangeResult exchange_directories(const std::filesystem::path& fresh,
                                    const std::filesystem::path& current);

} // namespace certsmith::store
