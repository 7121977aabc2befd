import CliplineCLI
import CliplineTools

MultiCall.main("record-shape", in: Tools.commands, versionDetails: Tools.versionDetails)
