/* error.c -- names and messages of error codes and methods. */
#include "torn.h"

const char *tn_err_name(int err) {
  switch (err) {
#define TN__ERR_NAME(name, value, msg) \
  case TN_##name:                      \
    return "TN_" #name;
    TN_ERRNO_MAP(TN__ERR_NAME)
#undef TN__ERR_NAME
  }
  return "unknown";
}

const char *tn_strerror(int err) {
  switch (err) {
#define TN__ERR_MSG(name, value, msg) \
  case TN_##name:                     \
    return msg;
    TN_ERRNO_MAP(TN__ERR_MSG)
#undef TN__ERR_MSG
  }
  return "unknown error";
}

const char *tn_method_name(unsigned method) {
  switch (method) {
  case TN_METHOD_GET: return "GET";
  case TN_METHOD_HEAD: return "HEAD";
  case TN_METHOD_POST: return "POST";
  case TN_METHOD_PUT: return "PUT";
  case TN_METHOD_PATCH: return "PATCH";
  case TN_METHOD_DELETE: return "DELETE";
  case TN_METHOD_OPTIONS: return "OPTIONS";
  }
  return NULL;
}
