// OpenSSL's libcrypto for Swift: digests, HMAC, errors.
#ifndef CLIPLINE_CLIBCRYPTO_SHIM_H
#define CLIPLINE_CLIBCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "crypto_weak.h"
#endif
