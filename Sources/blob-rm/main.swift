import CliplineCLI
import CliplineTools

MultiCall.main("blob-rm", in: Tools.commands, versionDetails: Tools.versionDetails)
