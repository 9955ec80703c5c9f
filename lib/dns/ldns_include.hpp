#pragma once
// Every ldns include goes through here: ldns/common.h #defines bool, true and
// false unless stdbool.h was seen first, which breaks C++ headers included after
// it (std::optional's operator<=> fails to compile).

// clang-format off
#include <stdbool.h>
#include <ldns/ldns.h>
// clang-format on
