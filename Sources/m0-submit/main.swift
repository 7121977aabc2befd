import CliplineCLI
import CliplineTools

MultiCall.main("m0-submit", in: Tools.commands, versionDetails: Tools.versionDetails)
