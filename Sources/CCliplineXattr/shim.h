// Extended attributes (glibc's <sys/xattr.h>, which the Glibc module does not export): where file:// objects keep
// their SHA-256 and tags.
#include <sys/xattr.h>
