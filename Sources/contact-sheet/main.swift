import CliplineCLI
import CliplineTools

MultiCall.main("contact-sheet", in: Tools.commands, versionDetails: Tools.versionDetails)
