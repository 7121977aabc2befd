import CliplineCLI
import CliplineTools

MultiCall.main("gql-mutate", in: Tools.commands, versionDetails: Tools.versionDetails)
