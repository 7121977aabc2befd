function __chunk_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __chunk_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __chunk_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __chunk_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __chunk_parse_tokens -S
    set -l unparsed_tokens (__chunk_tokens -pc)
    switch $unparsed_tokens[1]
    case 'chunk'
        __chunk_parse_subcommand 0 'v/verbose' 'q/quiet' 'log-format=' 'mode=' 'chunk-duration=' 'merge-last-under=' 'o/work-dir=' 'source=' 'to=+' 'presign=' 'ttl=+' 'copy-mode=' 'content-type=' 'endpoint-url=' 'region=' 'profile=' 'access-key-id=' 'secret-access-key=' 'ca-bundle=' 'attempts=' 'addressing-style=' 'azure-connection-string=' 'part-size=' 'multipart-threshold=' 'part-jobs=' 'preset=' 'crf=' 'fit=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __chunk_parse_subcommand -r 1 'version'
        end
    end
end

function __chunk_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __chunk_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __chunk_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __chunk_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__chunk_tokens -p)
    if test -z "$(__chunk_tokens -t)"
        set -l index (count (__chunk_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'chunk' -f
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" v verbose' -l 'verbose' -s 'v' -d 'Say more on stderr: every step, with timings.'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" q quiet' -l 'quiet' -s 'q' -d 'Say only errors on stderr.'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" log-format' -l 'log-format' -d 'How stderr lines look: text (tool: message) or json (one object per line). Default: $CLIPLINE_LOG_FORMAT, else text.' -rfka 'text json'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" mode' -l 'mode' -d 'copy, transcode, or auto (transcode only when the request asks for another size or frame rate).' -rfka 'copy transcode auto'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" chunk-duration' -l 'chunk-duration' -d 'Chunk length for requests without video_preprocessing.chunk_duration (e.g. 60, 60s, 2m).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" merge-last-under' -l 'merge-last-under' -d 'Merge a last piece shorter than this into the previous chunk (default: a quarter of a chunk).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" o work-dir' -s 'o' -l 'work-dir' -d 'Where chunk files go (else CLIPLINE_WORK_DIR, else a new temporary directory).' -rfa '(__chunk_complete_directories)'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" source' -l 'source' -d 'Cut this video (path or URL) instead of reading requests from stdin.' -rF
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk"' -l 'to' -d 'A destination: TEMPLATE=FIELD (repeatable; all upload in parallel).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" presign' -l 'presign' -d 'Add FIELD_presigned_url, a GET URL valid this long (at most 7d), for each destination.' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk"' -l 'ttl' -d 'Mark a destination as cache: its object expires after DURATION (tag and Expires); repeatable.' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" copy-mode' -l 'copy-mode' -d 'A second destination on the same service: auto or server (a server-side copy), or upload.' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" content-type' -l 'content-type' -d 'Content-Type of the objects (default: from the file extension).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" endpoint-url' -l 'endpoint-url' -d 'The service endpoint (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL_KINESIS_VIDEO, then AWS_ENDPOINT_URL, then the profile\'s services section and endpoint_url, else AWS).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" region' -l 'region' -d 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile\'s; S3 alone falls back to us-east-1).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" profile' -l 'profile' -d 'AWS profile in ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" access-key-id' -l 'access-key-id' -d 'AWS access key id (default: the credential chain, starting with AWS_ACCESS_KEY_ID).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" secret-access-key' -l 'secret-access-key' -d 'AWS secret access key, with --access-key-id. Visible to other users in ps (a warning says so): prefer AWS_SECRET_ACCESS_KEY or a profile.' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" ca-bundle' -l 'ca-bundle' -d 'CA certificates (PEM) to verify AWS\'s TLS endpoints with (default: AWS_CA_BUNDLE, the profile\'s ca_bundle, else the system\'s).' -rF
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" attempts' -l 'attempts' -d 'Attempts per request before a throttle, network error or 5xx is final (then exit 75).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" addressing-style' -l 'addressing-style' -d 'S3 addressing: auto (virtual-hosted on AWS, path-style elsewhere), path or virtual.' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" azure-connection-string' -l 'azure-connection-string' -d 'Azure connection string (default: AZURE_STORAGE_CONNECTION_STRING, the safer way: a key or SAS here shows in ps).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" part-size' -l 'part-size' -d 'Part (and block) size for large transfers, 5M to 5G: bytes, or with K/M/G (MiB units).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" multipart-threshold' -l 'multipart-threshold' -d 'Files at least this large (at most 5G, S3\'s largest single PUT) use multipart (S3) or block (Azure) uploads and ranged downloads.' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" part-jobs' -l 'part-jobs' -d 'Parts or ranges of one object in flight at once (1 to 64; default 8).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" preset' -l 'preset' -d 'libx264 preset for transcode mode (ultrafast ... veryslow).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" crf' -l 'crf' -d 'libx264 constant rate factor for transcode mode (0-51, lower is better).' -rfka ''
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" fit' -l 'fit' -d 'How transcode mode fits another aspect ratio into width x height: pad, crop or stretch.' -rfka 'pad crop stretch'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" version' -l 'version' -d 'Show the version.'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_positional "chunk" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'chunk' -n '__chunk_should_offer_completions_for_flags_or_options "chunk help" version' -l 'version' -d 'Show the version.'
