/* Test-only shim for wine 8.0 (Debian 12), which lacks bcryptprimitives.dll:
 * Go 1.24+ Windows binaries call ProcessPrng from it at start. This exports
 * ProcessPrng over BCryptGenRandom. scripts/dist-test.sh builds it with
 * x86_64-w64-mingw32-gcc into the test wine prefix's system32. Never shipped. */
#include <windows.h>
#include <bcrypt.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
