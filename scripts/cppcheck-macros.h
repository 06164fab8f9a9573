/* What cppcheck needs to know of system-header macros (make lint). */
#define json_object_foreach(object, key, value)                                                    \
        for (key = json_object_iter_key(json_object_iter(object)),                                 \
            value = json_object_iter_value(json_object_iter(object));                              \
             key; key = 0)
#define json_array_foreach(array, index, value)                                                    \
        for (index = 0, value = json_array_get(array, 0); index < json_array_size(array);          \
             index++, value = json_array_get(array, index))
