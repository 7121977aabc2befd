import CliplineCLI
import CliplineTools

MultiCall.main("blob-put", in: Tools.commands, versionDetails: Tools.versionDetails)
