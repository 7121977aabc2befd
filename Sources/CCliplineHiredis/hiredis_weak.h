// hiredis is not linked: CliplineCache opens it when a tool first connects to Redis (HiredisLibrary.load, through
// SharedLibraries in CliplineSystem). Every function called is a weak reference, bound lazily at its first call;
// the link fails on a function missing here.
#pragma weak freeReplyObject
#pragma weak redisCommandArgv
#pragma weak redisConnectWithTimeout
#pragma weak redisFree
#pragma weak redisSetTimeout
