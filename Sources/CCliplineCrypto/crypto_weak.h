// libcrypto is not linked: CliplineCrypto opens it before the first digest, HMAC or TLS set-up of a process
// (OpenSSLProcessSetup, through SharedLibraries in CliplineSystem). Every function called is a weak reference, bound
// lazily at its first call; the link fails on a function missing here.
#pragma weak ERR_error_string_n
#pragma weak ERR_get_error
#pragma weak EVP_DigestFinal_ex
#pragma weak EVP_DigestInit_ex
#pragma weak EVP_DigestUpdate
#pragma weak EVP_MD_CTX_free
#pragma weak EVP_MD_CTX_new
#pragma weak EVP_get_digestbyname
#pragma weak EVP_md5
#pragma weak EVP_sha1
#pragma weak EVP_sha256
#pragma weak HMAC
#pragma weak OPENSSL_init_crypto
#pragma weak OpenSSL_version
