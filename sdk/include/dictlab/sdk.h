#pragma once

// Everything a plugin author needs, in one include.
#include "dictlab/abi.h"
#include "dictlab/atomic_file.h"
#include "dictlab/dataset.h"
#include "dictlab/descriptor.h"
#include "dictlab/dictionary.h"
#include "dictlab/errors.h"
#include "dictlab/evaluator.h"
#include "dictlab/export.h"
#include "dictlab/labeler.h"
#include "dictlab/metrics.h"
#include "dictlab/model.h"
#include "dictlab/options.h"
#include "dictlab/run_context.h"
#include "dictlab/tokenizer.h"
