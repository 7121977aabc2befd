import CliplineCLI
import CliplineTools

MultiCall.main("chunk", in: Tools.commands, versionDetails: Tools.versionDetails)
