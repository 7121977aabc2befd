import CliplineCLI
import CliplineTools

MultiCall.main("blob-get", in: Tools.commands, versionDetails: Tools.versionDetails)
